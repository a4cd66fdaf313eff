import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('org', '0001_initial'),
        ('processes', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Space',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('name', models.CharField(max_length=100, verbose_name='name')),
                ('description', models.TextField(blank=True, max_length=2000, verbose_name='description')),
                ('visibility', models.CharField(choices=[('company', 'Everyone in the company'), ('departments', 'Listed departments'), ('private', 'Only its department')], default='company', max_length=16, verbose_name='readers')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('department', models.ForeignKey(blank=True, help_text='Leave empty for a company-wide space.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='org.department', verbose_name='department')),
                ('editors', models.ManyToManyField(blank=True, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='editors')),
                ('reader_departments', models.ManyToManyField(blank=True, related_name='+', to='org.department', verbose_name='reading departments')),
            ],
            options={
                'verbose_name': 'knowledge space',
                'verbose_name_plural': 'knowledge spaces',
                'ordering': ('name', 'pk'),
            },
        ),
        migrations.CreateModel(
            name='Page',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=200, verbose_name='title')),
                ('body', models.TextField(blank=True, max_length=200000, verbose_name='content')),
                ('template', models.CharField(choices=[('blank', 'Blank page'), ('retrospective', 'Experience sharing / case retrospective')], default='blank', max_length=16, verbose_name='template')),
                ('review_by', models.DateField(verbose_name='review by')),
                ('review_flagged_for', models.DateField(blank=True, null=True)),
                ('version', models.PositiveIntegerField(default=1, verbose_name='version')),
                ('created_at', models.DateTimeField(verbose_name='created at')),
                ('updated_at', models.DateTimeField(verbose_name='updated at')),
                ('case', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='processes.case', verbose_name='case')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='owner')),
                ('updated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('space', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='pages', to='knowledge.space', verbose_name='space')),
            ],
            options={
                'verbose_name': 'knowledge page',
                'verbose_name_plural': 'knowledge pages',
                'ordering': ('space', 'title', 'pk'),
            },
        ),
        migrations.CreateModel(
            name='PageVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.PositiveIntegerField(verbose_name='version')),
                ('title', models.CharField(max_length=200, verbose_name='title')),
                ('body', models.TextField(blank=True, verbose_name='content')),
                ('summary', models.CharField(blank=True, max_length=200, verbose_name='summary of changes')),
                ('created_at', models.DateTimeField(verbose_name='saved at')),
                ('author', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('page', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='versions', to='knowledge.page')),
            ],
            options={
                'ordering': ('page', '-number'),
                'constraints': [models.UniqueConstraint(fields=('page', 'number'), name='knowledge_pageversion_unique_number')],
            },
        ),
        migrations.AddConstraint(
            model_name='space',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('visibility', 'private'), _negated=True), ('department__isnull', False), _connector='OR'), name='knowledge_space_private_has_department', violation_error_message='A space private to its department needs a department.'),
        ),
        migrations.AddIndex(
            model_name='page',
            index=models.Index(fields=['review_by'], name='knowledge_page_review_idx'),
        ),
    ]
