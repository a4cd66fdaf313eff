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
            name='Post',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('body', models.TextField(max_length=2000, verbose_name='progress')),
                ('is_internal', models.BooleanField(default=False, verbose_name='internal to the department')),
                ('created_at', models.DateTimeField(verbose_name='posted at')),
                ('deleted_at', models.DateTimeField(blank=True, null=True)),
                ('author', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('case', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='processes.case', verbose_name='case')),
                ('department', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='org.department', verbose_name='department')),
            ],
            options={
                'verbose_name': 'progress update',
                'verbose_name_plural': 'progress updates',
                'ordering': ('-created_at', '-pk'),
                'indexes': [models.Index(fields=['department', 'created_at'], name='progress_post_department_idx'), models.Index(fields=['case', 'created_at'], name='progress_post_case_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('department__isnull', False), ('case__isnull', True)), models.Q(('department__isnull', True), ('case__isnull', False)), _connector='OR'), name='progress_post_one_target'), models.CheckConstraint(condition=models.Q(('is_internal', False), ('department__isnull', False), _connector='OR'), name='progress_post_internal_needs_department')],
            },
        ),
    ]
